-- 0151_figures_index: the complaint figures count a dealer's outcomes that reached the
-- customer in a period (complaints per 100 reached calls, queue.ComplaintFigures); the
-- spot-check sample reads a dealer's outcomes of one day.
CREATE INDEX call_outcomes_dealer_created_idx ON call_outcomes (dealer_id, created_at) INCLUDE (code);
