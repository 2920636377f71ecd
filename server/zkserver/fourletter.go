package zkserver

// fourLetter answers a four-letter word on the client port (conn.Server.FourLetter). Like
// Java's NIOServerCnxn.checkFourLetterWord, the word counts as a received packet.
func (s *Server) fourLetter(word string, extra int64) string {
	s.Node.Stats.Received.Add(1)
	s.Logger.Debug("four-letter word", "word", word) // Java logs "Processing <word> command" at INFO
	return s.ops.srv.FourLetter(word, extra)
}

// fourLetterEnabled is the 4lw whitelist check (conn.Server.FourLetterEnabled).
func (s *Server) fourLetterEnabled(word string) bool { return s.ops.srv.Enabled(word) }

// BuildDate is stamped at link time (-X); Java prints "yyyy-MM-dd HH:mm 'UTC'".
var BuildDate = "2026-11-22 00:00 UTC"
