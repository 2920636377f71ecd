// Package session is ZooKeeper's session tracker as a pure core: ids, passwords, timeout
// negotiation and expiry in tick-wide buckets. Time is passed in (milliseconds); the tracker
// never reads a clock.
//
// Expiry follows ZooKeeper's ExpiryQueue: a touch at time now moves a session to the bucket
// (floor((now+timeout)/tick)+1)*tick, and the session expires once that time has passed.
package session

import "sort"

// Password returns the 16-byte session password ZooKeeper derives from a session id:
// java.util.Random seeded with id ^ 0xB3415C00, nextBytes(16). Every server recomputes it, so
// it must match Java bit for bit.
func Password(id int64) []byte {
	seed := (uint64(id) ^ 0xB3415C00 ^ 0x5DEECE66D) & (1<<48 - 1)
	out := make([]byte, 16)
	for i := 0; i < 16; {
		seed = (seed*0x5DEECE66D + 0xB) & (1<<48 - 1)
		r := int32(seed >> 16)
		for n := 0; n < 4 && i < 16; n++ {
			out[i] = byte(r)
			r >>= 8
			i++
		}
	}
	return out
}

// CheckPassword reports whether passwd is id's password (never for id 0).
func CheckPassword(id int64, passwd []byte) bool {
	if id == 0 || len(passwd) != 16 {
		return false
	}
	want := Password(id)
	for i := range want {
		if want[i] != passwd[i] {
			return false
		}
	}
	return true
}

// FirstID is the first session id a server with this myid hands out at time nowMs:
// ((nowMs << 24) >>> 8) | (myid << 56), skipping the container marker.
func FirstID(myid int64, nowMs int64) int64 {
	id := int64(uint64(nowMs<<24)>>8) | myid<<56
	if id == -0x8000000000000000 {
		id++
	}
	return id
}

// Session is one tracked session.
type Session struct {
	ID       int64
	Timeout  int32 // negotiated, ms
	expireAt int64
	Closing  bool
}

// ExpireAt is the expiry bucket (ms) the session is in; 0 once it has expired.
func (s *Session) ExpireAt() int64 { return s.expireAt }

// Tracker tracks sessions and their expiry.
type Tracker struct {
	tick     int64
	sessions map[int64]*Session
	buckets  map[int64]map[int64]struct{}
	next     int64
}

// NewTracker returns a tracker for a server with myid, started at nowMs, with tickTime ms.
func NewTracker(myid int64, nowMs int64, tickTime int64) *Tracker {
	return &Tracker{tick: tickTime, sessions: map[int64]*Session{}, buckets: map[int64]map[int64]struct{}{}, next: FirstID(myid, nowMs)}
}

// NextID hands out a new session id.
func (t *Tracker) NextID() int64 {
	id := t.next
	t.next++
	if t.next == -0x8000000000000000 {
		t.next++
	}
	return id
}

func (t *Tracker) bucketOf(at int64) int64 { return (at/t.tick + 1) * t.tick }

// Add registers (or re-registers) a session and touches it.
func (t *Tracker) Add(id int64, timeout int32, now int64) {
	s := t.sessions[id]
	if s == nil {
		s = &Session{ID: id}
		t.sessions[id] = s
	}
	s.Timeout = timeout
	s.Closing = false
	t.move(s, now)
}

func (t *Tracker) move(s *Session, now int64) {
	at := t.bucketOf(now + int64(s.Timeout))
	if at == s.expireAt {
		return
	}
	if b := t.buckets[s.expireAt]; b != nil {
		delete(b, s.ID)
		if len(b) == 0 {
			delete(t.buckets, s.expireAt)
		}
	}
	s.expireAt = at
	b := t.buckets[at]
	if b == nil {
		b = map[int64]struct{}{}
		t.buckets[at] = b
	}
	b[s.ID] = struct{}{}
}

// Touch extends a live session; false if unknown or closing.
func (t *Tracker) Touch(id int64, now int64) bool {
	s := t.sessions[id]
	if s == nil || s.Closing {
		return false
	}
	t.move(s, now)
	return true
}

// Get returns a session or nil.
func (t *Tracker) Get(id int64) *Session { return t.sessions[id] }

// SetClosing marks a session as closing (its closeSession is under way).
func (t *Tracker) SetClosing(id int64) {
	if s := t.sessions[id]; s != nil {
		s.Closing = true
	}
}

// Remove forgets a session.
func (t *Tracker) Remove(id int64) {
	s := t.sessions[id]
	if s == nil {
		return
	}
	if b := t.buckets[s.expireAt]; b != nil {
		delete(b, id)
		if len(b) == 0 {
			delete(t.buckets, s.expireAt)
		}
	}
	delete(t.sessions, id)
}

// Expired returns, in id order, the sessions whose expiry time has passed at now, marking
// them closing and taking them out of the buckets (the caller submits their closeSession).
func (t *Tracker) Expired(now int64) []int64 {
	var out []int64
	for at, b := range t.buckets {
		if at > now {
			continue
		}
		for id := range b {
			out = append(out, id)
			if s := t.sessions[id]; s != nil {
				s.Closing = true
				s.expireAt = 0
			}
		}
		delete(t.buckets, at)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// All lists live sessions sorted by id.
func (t *Tracker) All() []*Session {
	out := make([]*Session, 0, len(t.sessions))
	for _, s := range t.sessions {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Len is the number of sessions.
func (t *Tracker) Len() int { return len(t.sessions) }
