-- lapsed_3m/6m/12m/24m: the owner's last service day L (13_owners.sql) becomes 90/180/365/730
-- days old on X = L + N: due X, expires X + lapsed_window. A visit or delivery after L ends
-- it (52_cut_service.sql).
INSERT INTO q_cand (customer_id, campaign, occurrence, priority, due_day, expires_day, text, facts)
SELECT o.customer_id, x.campaign, 'c' || o.customer_id || ':' || to_char(o.last_service, 'YYYY-MM-DD'),
       x.priority, o.last_service + x.days, o.last_service + x.days + @lapsed_window::int,
       CASE WHEN o.last_visit IS NOT NULL AND o.last_visit >= coalesce(o.last_delivery, o.last_visit)
            THEN '上次进厂 ' || to_char(o.last_service, 'YYYY-MM-DD')
            ELSE '交车 ' || to_char(o.last_service, 'YYYY-MM-DD') || ' 后未回厂' END
           || ', 已 ' || (@day::date - o.last_service) || ' 天 (' || x.label || ')',
       jsonb_build_object('last_service', o.last_service, 'last_visit', o.last_visit,
                          'last_delivery', o.last_delivery, 'days', @day::date - o.last_service,
                          'threshold_days', x.days, 'cut_after', o.last_service)
FROM q_owner o
JOIN (VALUES
    ('lapsed_3m', @lapsed_3m_days::int, @lapsed_3m_priority::int, @lapsed_3m_enabled::int, '拟流失'),
    ('lapsed_6m', @lapsed_6m_days::int, @lapsed_6m_priority::int, @lapsed_6m_enabled::int, '准流失'),
    ('lapsed_12m', @lapsed_12m_days::int, @lapsed_12m_priority::int, @lapsed_12m_enabled::int, '一年未回厂'),
    ('lapsed_24m', @lapsed_24m_days::int, @lapsed_24m_priority::int, @lapsed_24m_enabled::int, '两年未回厂')
) AS x(campaign, days, priority, enabled, label)
    ON x.enabled = 1
   AND o.last_service + x.days <= @day::date AND @day::date <= o.last_service + x.days + @lapsed_window::int
WHERE o.last_service IS NOT NULL;
