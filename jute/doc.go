// Package jute is the Jute binary encoding that ZooKeeper uses on every wire and file.
//
// Byte layout (all integers big-endian, no tags, no record prefixes):
//
//	byte     1 byte
//	boolean  1 byte: 0 or 1 written; any non-zero reads as true
//	int      4 bytes, two's complement
//	long     8 bytes, two's complement
//	buffer   int length, then the bytes; length -1 = null (nil), 0 = empty (non-nil)
//	ustring  int length, then UTF-8 bytes; -1 = null (read as "")
//	vector   int count, then the elements; -1 = null (nil slice), 0 = empty (non-nil)
//	record   its fields in order, inline
//
// Encoding is append-style (AppendInt, AppendString, ... and each record's Append), so a
// caller can build a whole frame in one buffer. Decoding uses a Decoder: a bounds-checked
// cursor over a complete frame that checks every length against what remains and against
// MaxBuffer (jute.maxbuffer, default 0xfffff) before it allocates anything. Decoded buffers
// alias the frame they came from (copies with Decoder.CopyBuffers); strings are copies.
//
// Java writes ustrings with its own encoder (each UTF-16 unit separately, so characters
// outside the BMP come out as 6 CESU-8 bytes); Go writes standard UTF-8. The two agree on
// everything a path can hold (ZooKeeper rejects surrogates in paths).
package jute
