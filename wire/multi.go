package wire

import (
	"fmt"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
)

// MultiOp is one operation of a multi (14) or multiRead (22) request.
type MultiOp struct {
	Op     Op
	Record jute.Record // CreateRequest, CreateTTLRequest, DeleteRequest, SetDataRequest, CheckVersionRequest, GetChildrenRequest or GetDataRequest
}

// MultiResult is one result of a multi response. For an error result Op is OpError and Err
// holds the code; Record is then nil (ErrorResponse is written from Err).
type MultiResult struct {
	Op     Op
	Err    Code
	Record jute.Record // nil when the result has no body (delete, check)
}

func multiOpRecord(op Op) (jute.Record, error) {
	switch op {
	case OpCreate, OpCreate2, OpCreateContainer:
		return new(records.CreateRequest), nil
	case OpCreateTTL:
		return new(records.CreateTTLRequest), nil
	case OpDelete:
		return new(records.DeleteRequest), nil
	case OpSetData:
		return new(records.SetDataRequest), nil
	case OpCheck:
		return new(records.CheckVersionRequest), nil
	case OpGetChildren:
		return new(records.GetChildrenRequest), nil
	case OpGetData:
		return new(records.GetDataRequest), nil
	}
	return nil, fmt.Errorf("wire: multi: invalid op type %d", int32(op))
}

var multiEnd = records.MultiHeader{Type: -1, Done: true, Err: -1}

// DecodeMulti reads a MultiOperationRecord: (MultiHeader, op record)* ended by a done header.
func DecodeMulti(d *jute.Decoder) ([]MultiOp, error) {
	var ops []MultiOp
	for {
		var h records.MultiHeader
		if err := h.Decode(d); err != nil {
			return nil, fmt.Errorf("wire: multi op %d header: %w", len(ops), err)
		}
		if h.Done {
			return ops, nil
		}
		rec, err := multiOpRecord(Op(h.Type))
		if err != nil {
			return nil, err
		}
		if err := rec.Decode(d); err != nil {
			return nil, fmt.Errorf("wire: multi op %d (%s): %w", len(ops), Op(h.Type), err)
		}
		ops = append(ops, MultiOp{Op: Op(h.Type), Record: rec})
	}
}

// AppendMulti encodes a MultiOperationRecord.
func AppendMulti(b []byte, ops []MultiOp) []byte {
	for _, o := range ops {
		h := records.MultiHeader{Type: int32(o.Op), Done: false, Err: -1}
		b = h.Append(b)
		b = o.Record.Append(b)
	}
	return multiEnd.Append(b)
}

// MultiSize is the encoded size of a MultiOperationRecord.
func MultiSize(ops []MultiOp) int {
	n := multiEnd.Size()
	for _, o := range ops {
		n += 9 + o.Record.Size()
	}
	return n
}

func multiResultRecord(op Op) jute.Record {
	switch op {
	case OpCreate:
		return new(records.CreateResponse)
	case OpCreate2, OpCreateContainer, OpCreateTTL:
		return new(records.Create2Response)
	case OpSetData:
		return new(records.SetDataResponse)
	case OpGetChildren:
		return new(records.GetChildrenResponse)
	case OpGetData:
		return new(records.GetDataResponse)
	}
	return nil // delete, check
}

// DecodeMultiResponse reads a MultiResponse.
func DecodeMultiResponse(d *jute.Decoder) ([]MultiResult, error) {
	var res []MultiResult
	for {
		var h records.MultiHeader
		if err := h.Decode(d); err != nil {
			return nil, fmt.Errorf("wire: multi result %d header: %w", len(res), err)
		}
		if h.Done {
			return res, nil
		}
		// Like Java, only an error result's code counts; other headers carry err 0 and any
		// other value is ignored (it could not be re-encoded).
		r := MultiResult{Op: Op(h.Type)}
		if r.Op == OpError {
			var e records.ErrorResponse
			if err := e.Decode(d); err != nil {
				return nil, fmt.Errorf("wire: multi result %d: %w", len(res), err)
			}
			r.Err = Code(e.Err)
		} else {
			switch r.Op {
			case OpCreate, OpCreate2, OpCreateContainer, OpCreateTTL, OpSetData, OpGetChildren, OpGetData, OpDelete, OpCheck:
			default:
				return nil, fmt.Errorf("wire: multi result %d: invalid type %d", len(res), h.Type)
			}
			r.Record = multiResultRecord(r.Op)
			if r.Record != nil {
				if err := r.Record.Decode(d); err != nil {
					return nil, fmt.Errorf("wire: multi result %d (%s): %w", len(res), r.Op, err)
				}
			}
		}
		res = append(res, r)
	}
}

// AppendMultiResponse encodes a MultiResponse.
func AppendMultiResponse(b []byte, res []MultiResult) []byte {
	for _, r := range res {
		if r.Op == OpError {
			h := records.MultiHeader{Type: -1, Done: false, Err: int32(r.Err)}
			b = h.Append(b)
			b = jute.AppendInt(b, int32(r.Err))
			continue
		}
		h := records.MultiHeader{Type: int32(r.Op), Done: false, Err: 0}
		b = h.Append(b)
		if r.Record != nil {
			b = r.Record.Append(b)
		}
	}
	return multiEnd.Append(b)
}

// MultiResponseSize is the encoded size of a MultiResponse.
func MultiResponseSize(res []MultiResult) int {
	n := multiEnd.Size()
	for _, r := range res {
		n += 9
		if r.Op == OpError {
			n += 4
		} else if r.Record != nil {
			n += r.Record.Size()
		}
	}
	return n
}
