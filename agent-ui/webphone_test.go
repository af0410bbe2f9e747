package agentui

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeWebPhone answers offers with a fixed text and remembers what it was asked; user
// "agent2" has a SIP phone.
type fakeWebPhone struct {
	mu     sync.Mutex
	offers []WebPhoneAgent
	ended  []string
}

func (f *fakeWebPhone) Settings(username string) WebPhoneSettings {
	sip := username == "agent2"
	return WebPhoneSettings{Enabled: !sip, SIPPhone: sip, ICEServers: []ICEServer{{URLs: []string{"stun:127.0.0.1:3478"}}}}
}

func (f *fakeWebPhone) Offer(_ context.Context, a WebPhoneAgent, sdp string) (string, error) {
	if a.Username == "agent2" {
		return "", fmt.Errorf("offer: %w", ErrSIPPhoneConnected)
	}
	f.mu.Lock()
	f.offers = append(f.offers, a)
	f.mu.Unlock()
	return "answer to " + sdp, nil
}

func (f *fakeWebPhone) End(username string) {
	f.mu.Lock()
	f.ended = append(f.ended, username)
	f.mu.Unlock()
}

// TestWebPhoneSignalling: hello tells the browser whether it is the agent's phone and the
// ICE servers; an rtc_offer is answered with its id, for the agent of the session; an
// agent with a SIP phone is refused rtc_sip_phone; an offer without an id is refused;
// rtc_end ends the phone.
func TestWebPhoneSignalling(t *testing.T) {
	wp := &fakeWebPhone{}
	b := setupPhone(t, nil, nil, wp)
	a1 := b.login(t, "agent1")
	ws := b.agentWS(t, a1)
	hello := ws.until("hello", func(m map[string]any) bool { return m["type"] == "hello" })
	phone := hello["web_phone"].(map[string]any)
	require.Equal(t, true, phone["enabled"])
	require.Equal(t, false, phone["sip_phone"])
	require.Equal(t, "stun:127.0.0.1:3478", phone["ice_servers"].([]any)[0].(map[string]any)["urls"].([]any)[0])

	ws.send(map[string]any{"type": "rtc_offer", "id": "o1", "sdp": "v=0 offer"})
	ans := ws.until("answer", func(m map[string]any) bool { return m["type"] == "rtc_answer" })
	require.Equal(t, "o1", ans["id"])
	require.Equal(t, "answer to v=0 offer", ans["sdp"])
	wp.mu.Lock()
	require.Equal(t, []WebPhoneAgent{{UserID: b.users["agent1"].ID, DealerID: b.dealer.ID, Username: "agent1"}}, wp.offers)
	wp.mu.Unlock()

	ws.send(map[string]any{"type": "rtc_offer", "sdp": "v=0"})
	e := ws.until("no id", func(m map[string]any) bool { return m["type"] == "rtc_error" })
	require.Equal(t, "rtc_failed", e["code"])
	require.NotEmpty(t, e["message"])

	ws.send(map[string]any{"type": "rtc_end"})
	require.Eventually(t, func() bool {
		wp.mu.Lock()
		defer wp.mu.Unlock()
		return len(wp.ended) == 1 && wp.ended[0] == "agent1"
	}, 5*time.Second, 10*time.Millisecond)

	a2 := b.login(t, "agent2")
	ws2 := b.agentWS(t, a2)
	hello2 := ws2.until("hello", func(m map[string]any) bool { return m["type"] == "hello" })
	require.Equal(t, true, hello2["web_phone"].(map[string]any)["sip_phone"])
	ws2.send(map[string]any{"type": "rtc_offer", "id": "o2", "sdp": "v=0"})
	e = ws2.until("sip phone", func(m map[string]any) bool { return m["type"] == "rtc_error" })
	require.Equal(t, "rtc_sip_phone", e["code"])
	require.Equal(t, "o2", e["id"])
}
