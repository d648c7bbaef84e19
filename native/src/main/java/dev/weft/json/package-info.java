/** JSON trees without an ObjectMapper, for processes whose start-up time counts (the CNI plugins). */
package dev.weft.json;
