-- 0230_sip_subscribers: what a Kamailio in front of several gateways (issue 16 item 2,
-- deploy/kamailio/kamailio.cfg) reads to check an agent's phone REGISTER: the user name
-- and the digest HA1 (realm "huifang") of each active agent with a SIP secret, as the
-- gateway's own registrar accepts them (storeAgents.LookupAgent). A user name held by
-- active agents at several dealers is left out: the gateway refuses it rather than guess
-- too. Kamailio's database user needs SELECT on this view only.
CREATE VIEW sip_subscribers AS
SELECT u.username, u.sip_ha1 AS ha1
FROM users u
WHERE u.role = 'agent' AND u.active AND u.sip_ha1 <> ''
  AND NOT EXISTS (
    SELECT 1 FROM users o
    WHERE o.username = u.username AND o.id <> u.id AND o.role = 'agent' AND o.active AND o.sip_ha1 <> ''
  );
