package quorum

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/zkgo/zkgo/server/config"
	"github.com/zkgo/zkgo/server/node"
	"github.com/zkgo/zkgo/wire"
)

// Elector runs leader elections (server/transport implements it over the election port).
type Elector interface {
	// LookForLeader runs one election and returns the chosen leader's sid.
	LookForLeader(ctx context.Context, lastZxid, currentEpoch int64) (int64, error)
	// Settle announces the outcome while not looking, so LOOKING peers learn it.
	Settle(leader, zxid, epoch int64, leading bool)
}

// Peer is a quorum member.
type Peer struct {
	Cfg     *config.Config
	MyID    int64
	Node    *node.Node
	Elector Elector
	Logger  *slog.Logger

	acceptedEpoch, currentEpoch int64
	epochDir                    string

	// Role reports the last role taken (for tests and 4lw), read with RoleNow.
	roleCh chan node.Role

	mu sync.Mutex // guards Cfg.Servers, which an activated reconfig replaces
}

func (p *Peer) log() *slog.Logger {
	if p.Logger == nil {
		return slog.Default()
	}
	return p.Logger
}

// Self is this peer's server line.
func (p *Peer) Self() (config.Server, bool) { return p.server(p.MyID) }

func (p *Peer) server(id int64) (config.Server, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.Cfg.Servers {
		if s.ID == id {
			return s, true
		}
	}
	return config.Server{}, false
}

func (p *Peer) voters() []int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	var v []int64
	for _, s := range p.Cfg.Servers {
		if !s.Observer {
			v = append(v, s.ID)
		}
	}
	return v
}

func (p *Peer) tick() time.Duration { return p.Cfg.TickTime }

// loadEpochs reads currentEpoch/acceptedEpoch, creating them from the last zxid's epoch
// when missing (the upgrade path Java takes).
func (p *Peer) loadEpochs(lastZxid int64) error {
	p.epochDir = filepath.Join(p.Cfg.DataDir, "version-2")
	if err := os.MkdirAll(p.epochDir, 0o755); err != nil {
		return err
	}
	read := func(name string) (int64, error) {
		v, err := wire.ReadEpochFile(filepath.Join(p.epochDir, name))
		if errors.Is(err, os.ErrNotExist) {
			v = lastZxid >> 32
			return v, wire.WriteEpochFile(filepath.Join(p.epochDir, name), v)
		}
		return v, err
	}
	var err error
	if p.currentEpoch, err = read("currentEpoch"); err != nil {
		return err
	}
	if p.acceptedEpoch, err = read("acceptedEpoch"); err != nil {
		return err
	}
	if p.acceptedEpoch < p.currentEpoch {
		return fmt.Errorf("quorum: acceptedEpoch %d is less than currentEpoch %d", p.acceptedEpoch, p.currentEpoch)
	}
	return nil
}

func (p *Peer) setAcceptedEpoch(e int64) error {
	p.acceptedEpoch = e
	return wire.WriteEpochFile(filepath.Join(p.epochDir, "acceptedEpoch"), e)
}

func (p *Peer) setCurrentEpoch(e int64) error {
	p.currentEpoch = e
	return wire.WriteEpochFile(filepath.Join(p.epochDir, "currentEpoch"), e)
}

// Run loops election → role until ctx ends.
func (p *Peer) Run(ctx context.Context) error {
	if p.Logger == nil {
		p.Logger = slog.Default()
	}
	var last int64
	p.Node.Do(func() { last = p.Node.LastZxid() })
	if err := p.loadEpochs(last); err != nil {
		return err
	}
	self, ok := p.Self()
	if !ok {
		return fmt.Errorf("quorum: myid %d has no server.%d line", p.MyID, p.MyID)
	}
	for ctx.Err() == nil {
		p.Node.Do(func() {
			p.Node.ApplyAllPending()
			p.Node.SetRole(node.RoleLooking, nil)
			last = p.Node.LastZxid()
		})
		start := time.Now()
		leader, err := p.Elector.LookForLeader(ctx, last, p.currentEpoch)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			p.Logger.Warn("election failed", "err", err)
			time.Sleep(p.tick())
			continue
		}
		p.Logger.Info("election done", "leader", leader, "took", time.Since(start).String())
		if s, ok := p.Self(); ok {
			self = s
		} else {
			self.Observer = false // not in the config: a non-voting participant
		}
		if leader == p.MyID && !self.Observer {
			err = p.lead(ctx)
		} else {
			err = p.follow(ctx, leader, self.Observer)
		}
		if err != nil && ctx.Err() == nil {
			p.Logger.Warn("left role", "err", err)
		}
	}
	return nil
}

func (p *Peer) quorumAddr(s config.Server) string {
	return net.JoinHostPort(s.Host, strconv.Itoa(s.QuorumPort))
}
