// Package goldens holds the golden Jute bytes that Java ZooKeeper itself wrote, and reads them.
//
// The files under testdata/<version>/ are written only by jute/goldens/java/Goldens.java, run
// against the real jars of ZooKeeper 3.4.13, 3.8.0 and 3.9.3 by scripts/goldens.sh (`make
// goldens`); they are committed, so the Go tests need no Java. The tests of this package decode
// every case into the generated record (jute/records) or, for the hand-written multi records,
// with wire.DecodeMulti and wire.DecodeMultiResponse, compare with the values Java was given,
// and re-encode byte for byte. The fuzz targets of jute/records and wire seed their corpora from
// the same files (Load).
//
// # File format
//
// One file per version and record, named <module>.<Record>.txt (module: data, proto, txn,
// quorum, persistence, or wire for MultiOperationRecord and MultiResponse). UTF-8 text, one
// item per line; lines starting with '#' and blank lines are ignored.
//
//	version 3.9.3                             the ZooKeeper version that wrote the bytes
//	record GetDataResponse                    the record (our schema's name)
//	java org.apache.zookeeper.proto.GetDataResponse   the Java class serialized
//	field data buffer                         Java's fields in declaration (= wire) order,
//	field stat Stat                           with their Jute types; none for multi records
//
//	case typical                              a case: its name, field lines, bytes, "end"
//	data = hex:68656c6c6f
//	stat.czxid = 4294967298
//	...
//	bytes 88                                  number of bytes, then the hex dump: offset,
//	  0000: 00000010 68656c6c ...             colon, up to 32 bytes in groups of 4
//	end
//
// A field line is `key = value`. Keys name the field; nested records add ".field" (stat.czxid),
// vector elements "[i]" (acl[1].id.scheme). Values:
//
//	-5, 4294967298          int, long and byte (signed decimal)
//	true, false             boolean
//	hex:0a0b, hex:          buffer (the empty buffer is "hex:")
//	"text"                  ustring: Java's UTF-16 string; \" \\ \n \r \t escapes, \uXXXX for
//	                        other control characters and unpaired surrogates, anything else
//	                        as itself in UTF-8
//	["a", "b"], []          vector<ustring>
//	[2]                     vector of records: its length; the elements follow as key[i].field
//	null                    a null buffer or vector (-1 on the wire)
//
// Null ustrings never appear: Go reads a null string as "" (counting it in
// jute.Decoder.NullStrings) and re-encodes it as empty, so such a case could not round-trip.
//
// Java writes a ustring with its own encoder, each UTF-16 unit separately (so a character
// outside the BMP becomes two 3-byte surrogate sequences, CESU-8 style); String turns a
// quoted value into exactly those bytes, so the expected Go string is what Java put on the
// wire. The "nonbmp" case of data.Id shows the difference from standard UTF-8.
//
// MultiOperationRecord cases list `ops = [n]`, then per op `ops[i].type = <opcode>` and the
// fields of its request record (CreateRequest, CreateTTLRequest, DeleteRequest, ...).
// MultiResponse cases list `results = [n]`, then `results[i].type` and, by type: path (1),
// path and stat (15), stat (5), data and stat (4), children (8), err (-1), nothing (2, 13).
//
// Cases are chosen by Goldens.java for every record: typical values, zero (0, "" and empty
// buffers and vectors), null (null buffers and vectors), max and min (MAX_VALUE/MIN_VALUE
// numbers, long strings, 0xff buffers), unicode (a non-ASCII path, a buffer of all 256 byte
// values) and, for Id, nonbmp; a case whose bytes equal an earlier case's is left out.
package goldens
