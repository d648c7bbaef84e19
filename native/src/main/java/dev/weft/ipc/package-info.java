/** Local inter-process communication for short-lived processes: a Unix stream socket client over libc. */
package dev.weft.ipc;
