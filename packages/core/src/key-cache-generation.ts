/**
 * How many distinct appids per platform one generation of the string cache holds (and keys per registered kind, `KindKeyCache`). Two generations are kept, so
 * at most twice this many appids per platform hold strings (each a few hundred bytes, shared with the memory tier's
 * keys for apps it holds). A working set up to this size is served from the newest generation alone: 200,000 apps
 * read round-robin never rebuild a string. Past it, the apps still in use move to the new generation as they are
 * read, and the ones not read for a whole generation are dropped — never the whole cache at once (a cache that
 * started over at 10,000 appids rebuilt and rehashed every key of 50,000 apps read in turn: 7.7× the floor).
 */
export const KEY_CACHE_GENERATION = 262_144
