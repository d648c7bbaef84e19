/** Address management: the reference-compatible host-local store and allocator. Not written yet. */
package dev.weft.ipam;
