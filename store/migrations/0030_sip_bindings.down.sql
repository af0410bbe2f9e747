DROP TABLE IF EXISTS sip_bindings;
