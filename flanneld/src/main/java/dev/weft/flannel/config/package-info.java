/**
 * flannel's network configuration ("net-conf"): the JSON stored at {@code <prefix>/config} in etcd
 * or in {@code net-conf.json}, parsed with Go's case-insensitive key matching, then given flannel's
 * defaults and checked with flannel's own error messages.
 */
package dev.weft.flannel.config;
