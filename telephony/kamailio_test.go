package telephony

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
	"github.com/huifang/huifang/telephony/kamailiotest"
	"github.com/huifang/huifang/telephony/media"
)

// TestKamailioTwoGatewaysReachOnePhone runs Kamailio with deploy/kamailio/kamailio.cfg in
// front of two gateways: the agent's phone registers to Kamailio (digest checked against
// the sip_subscribers view in Postgres), each gateway bridges a customer to it by calling
// the phone through Kamailio, and both voices are recorded both times. A wrong password
// is refused and an agent with no registration is not reached.
func TestKamailioTwoGatewaysReachOnePhone(t *testing.T) {
	kamailiotest.Require(t)
	db := storetest.NewDB(t)
	ctx := context.Background()
	q := store.New(db.Pool)
	d, err := q.EnsureDealer(ctx, store.EnsureDealerParams{Code: "D1", Name: "测试4S店"})
	require.NoError(t, err)
	agent := Agent{Username: "agent4", HA1: HA1("agent4", store.SIPRealm, "pw4"), DealerID: d.ID}
	for _, name := range []string{"agent4", "agent5"} {
		u, err := q.CreateUser(ctx, store.CreateUserParams{DealerID: d.ID, Username: name, DisplayName: name, Role: "agent", PasswordHash: "x"})
		require.NoError(t, err)
		_, err = db.Pool.Exec(ctx, "UPDATE users SET sip_ha1 = $1 WHERE id = $2", HA1(name, store.SIPRealm, "pw"+name[5:]), u.ID)
		require.NoError(t, err)
		if name == "agent4" {
			agent.UserID = u.ID
		}
	}
	creds := mapCredentials{"agent4": agent, "agent5": {Username: "agent5", HA1: HA1("agent5", store.SIPRealm, "pw5"), DealerID: d.ID}}

	customer := runSippN(t, "uas_answer_pcap.xml", "udp", "", 2, nil, "talk", "1500", "codec", "8", "pcap", sippPCMA)
	proxyPort := freePort(t)
	proxy := "127.0.0.1:" + strconv.Itoa(proxyPort)
	var gws []*Gateway
	for range 2 {
		gws = append(gws, newTestGateway(t, Config{Trunk: Trunk{URI: customer.TrunkURI()}, Credentials: creds,
			AgentProxy: proxy, RecordingsDir: t.TempDir()}))
	}
	k := kamailiotest.Start(t, kamailiotest.Options{DB: db, Gateways: []string{gws[0].Addr(), gws[1].Addr()}, Port: proxyPort})

	phone := runSippN(t, "uas_agent_phone_proxied.xml", "udp", "", 2, nil, "codec", "8", "pcap", sippPCMA)
	wrong := startSippUAC(t, "uac_register_refused.xml", "udp", k.Addr,
		"user", "agent4", "password", "wrong", "contact_port", strconv.Itoa(phone.Port))
	require.NoError(t, wrong.Wait(t), "a wrong password is refused")
	reg := startSippUAC(t, "uac_register.xml", "udp", k.Addr,
		"user", "agent4", "password", "pw4", "contact_port", strconv.Itoa(phone.Port))
	require.NoError(t, reg.Wait(t), "the phone registers to Kamailio")
	require.False(t, gws[0].Registered("agent4"), "the location is Kamailio's, not a gateway's")

	// agent5 never registered: Kamailio answers 480 and no customer is called.
	_, err = gws[0].DialAgent(ctx, "agent5", DialParams{To: "13900000009"})
	require.ErrorIs(t, err, ErrAgentNotConnected)

	for i, g := range gws {
		require.True(t, g.ReachesAgent("agent4"))
		res, err := g.DialAgent(ctx, "agent4", DialParams{To: "13900000001"})
		require.NoError(t, err, "gateway %d", i+1)
		require.Equal(t, OutcomeAnswered, res.Outcome, "gateway %d", i+1)
		require.Equal(t, agent.UserID, res.Meta.AgentUserID)
		left, right, err := media.ReadStereoWAV(res.Recording)
		require.NoError(t, err)
		require.Greater(t, media.RMS(left), 300.0, "gateway %d: customer's voice on the left", i+1)
		require.Greater(t, media.RMS(right), 300.0, "gateway %d: agent's voice on the right", i+1)
		require.False(t, g.AgentConnected("agent4"), "the agent's leg ends with the call")
	}
	require.NoError(t, customer.Wait(t))
	require.NoError(t, phone.Wait(t), "both legs were hung up through Kamailio")
}
