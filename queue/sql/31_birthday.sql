-- birthday: a call task on the birthday for 优质 (premium) owners; due and expires that
-- day. A 29 February birthday falls on 28 February in other years (interval arithmetic
-- clamps). The SMS greeting is the SMS campaign's business, not this queue's.
INSERT INTO q_cand (customer_id, campaign, occurrence, priority, due_day, expires_day, text, facts)
SELECT c.id, 'birthday', 'c' || c.id || ':' || extract(year FROM @day::date)::int,
       @birthday_priority::int, @day::date, @day::date,
       '生日 ' || to_char(c.birthday, 'MM-DD')
           || CASE WHEN to_char(c.birthday, 'MM-DD') <> to_char(@day::date, 'MM-DD')
                   THEN ' (今年按 ' || to_char(@day::date, 'MM-DD') || ')' ELSE '' END
           || ', 优质客户生日问候',
       jsonb_build_object('birthday', c.birthday, 'grade', c.grade)
FROM customers c
JOIN q_owner o ON o.customer_id = c.id
WHERE c.dealer_id = @dealer::bigint AND @birthday_enabled::int = 1
  AND c.grade = 'premium' AND c.birthday IS NOT NULL AND c.birthday <= @day::date
  AND (c.birthday + make_interval(years => extract(year FROM @day::date)::int - extract(year FROM c.birthday)::int))::date = @day::date;
