package transport

import "github.com/zkgo/zkgo/server/quorum"

// QuorumElector is what the quorum peer takes.
var _ quorum.Elector = QuorumElector{}
