package wire

import (
	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
)

// NewTxnRecord returns an empty txn record for a TxnHeader.type (or a MultiTxn sub-txn type),
// or nil for types without a body.
func NewTxnRecord(op Op) jute.Record {
	switch op {
	case OpCreateSession:
		return new(records.CreateSessionTxn)
	case OpCloseSession:
		return new(records.CloseSessionTxn)
	case OpCreate, OpCreate2:
		return new(records.CreateTxn)
	case OpCreateTTL:
		return new(records.CreateTTLTxn)
	case OpCreateContainer:
		return new(records.CreateContainerTxn)
	case OpDelete, OpDeleteContainer:
		return new(records.DeleteTxn)
	case OpSetData, OpReconfig:
		return new(records.SetDataTxn)
	case OpSetACL:
		return new(records.SetACLTxn)
	case OpCheck:
		return new(records.CheckVersionTxn)
	case OpError:
		return new(records.ErrorTxn)
	case OpMulti:
		return new(records.MultiTxn)
	}
	return nil
}
