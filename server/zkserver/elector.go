package zkserver

import (
	"log/slog"

	"github.com/zkgo/zkgo/server/config"
	"github.com/zkgo/zkgo/server/quorum"
	"github.com/zkgo/zkgo/server/transport"
)

// electionPort runs FastLeaderElection on the election port for quorum mode.
type electionPort struct {
	transport.QuorumElector
}

func (e electionPort) Close() error { return e.E.Close() }

// newElector builds the election-port elector for quorum mode.
func newElector(cfg *config.Config, myid int64, lg *slog.Logger) (quorum.Elector, error) {
	ec, err := transport.ElectorConfigFrom(cfg, myid, lg)
	if err != nil {
		return nil, err
	}
	e, err := transport.NewElector(ec)
	if err != nil {
		return nil, err
	}
	if err := e.Start(); err != nil {
		e.Close()
		return nil, err
	}
	return electionPort{transport.QuorumElector{E: e}}, nil
}
