package session

import (
	"encoding/hex"
	"testing"
)

// Vectors computed with OpenJDK 17's java.util.Random.
func TestPasswordMatchesJava(t *testing.T) {
	for _, c := range []struct {
		id   int64
		want string
	}{
		{0x0000000000000001, "054cc74a37327db215e702e20c73f005"},
		{0x0100000000000000, "f22acd4a97e69d6d20a49bb638eadb38"},
		{0x01000184d1b20000, "7cfd4cc859876a77ba62022aca6dd1ec"},
		{0x300a5c8e12340001, "81f5865103c4ad8af142bee1b8370eb4"},
	} {
		if got := hex.EncodeToString(Password(c.id)); got != c.want {
			t.Errorf("Password(%#x) = %s, want %s", c.id, got, c.want)
		}
		if !CheckPassword(c.id, Password(c.id)) {
			t.Errorf("CheckPassword(%#x) false", c.id)
		}
	}
	if CheckPassword(0, Password(0)) {
		t.Error("session 0 must never check")
	}
}

func TestExpiryBuckets(t *testing.T) {
	tr := NewTracker(1, 1000, 100)
	id := tr.NextID()
	if id>>56 != 1 {
		t.Fatalf("id %#x lacks myid in top byte", id)
	}
	tr.Add(id, 500, 1000) // bucket (1500/100+1)*100 = 1600
	if got := tr.Expired(1599); len(got) != 0 {
		t.Fatalf("expired early: %v", got)
	}
	tr.Touch(id, 1550) // moves to 2100
	if got := tr.Expired(1600); len(got) != 0 {
		t.Fatalf("touch did not extend: %v", got)
	}
	if got := tr.Expired(2100); len(got) != 1 || got[0] != id {
		t.Fatalf("want expiry at 2100, got %v", got)
	}
	if tr.Touch(id, 2200) {
		t.Fatal("closing session accepted a touch")
	}
}
