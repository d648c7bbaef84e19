/**
 * An off-by-default timing trace of route ingestion ({@code -Dweft.bgp.trace=FILE}): when each
 * session came up, when its UPDATEs were read and applied, and when the FIB's batches went to the
 * kernel and came back, so the idle gaps of a full table's ingest can be found (bench/bgp-ingest).
 */
package dev.weft.bgp.trace;
