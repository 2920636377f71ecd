// Package records holds the Go types of every ZooKeeper Jute record (generated from
// jute/schema/zookeeper.jute.txt by jute/gen; `make generate`).
package records

import "github.com/zkgo/zkgo/jute"

// Info describes one generated record: its schema name, module, the ZooKeeper releases that
// have it, a constructor, and its fields in wire order.
type Info struct {
	Name   string
	Module string
	Since  string // first release with the record ("" = all we support)
	Until  string // last release with the record ("" = still current)
	New    func() jute.Record
	Fields []Field
}

// Field is one field of a record in the schema's words.
type Field struct {
	Name  string
	Type  string
	Since string // first release whose record has this field ("" = always)
}

// Lookup returns the Info of the named record.
func Lookup(name string) (Info, bool) {
	for _, i := range All {
		if i.Name == name {
			return i, true
		}
	}
	return Info{}, false
}
