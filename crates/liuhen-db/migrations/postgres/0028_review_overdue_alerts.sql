-- Overdue legal reviews are alerted (issue 13): one row per review round and time limit,
-- claimed in the transaction that writes the decision.review_overdue entry, so the alert
-- is raised once however many requests or servers look at the same moment. An extended
-- limit that passes too is a new time limit and is alerted again.
CREATE TABLE decision_review_alerts (
    round_id   TEXT NOT NULL REFERENCES decision_reviews (id),
    due_date   TEXT NOT NULL,
    raised_ms  BIGINT NOT NULL,
    PRIMARY KEY (round_id, due_date)
);
