DROP VIEW IF EXISTS sip_subscribers;
