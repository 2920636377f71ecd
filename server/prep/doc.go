// Package prep turns client write requests into txns, the way ZooKeeper's
// PrepRequestProcessor does: it checks paths, versions, ACLs and node types against the tree
// as it will be once every txn already prepared has been applied (the outstanding changes), and
// produces the TxnHeader + txn record + the tree digest after the txn. A failed check still
// produces a txn: an ErrorTxn carrying the code, which consumes a zxid like any other.
//
// It is a pure core: the caller passes the zxid, the time (the leader's clock) and the
// requester's auth ids, and calls Applied after each txn reaches the tree so outstanding
// changes can be dropped. The check order follows Java exactly, because it decides which
// error a client sees when several apply.
package prep
