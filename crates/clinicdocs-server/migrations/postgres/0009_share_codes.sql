-- SMS codes for shares of a clinic that asks for one: the live code of a share (hashed), when
-- it stops working, the tries against it, the wrong tries against the link in all (enough of
-- them lock it until the clinic sends it again), and the times of the last three sends (at
-- most three an hour). A browser that passed the code holds a pass, kept only as a hash and bound
-- to the link it was given for.
ALTER TABLE shares ADD COLUMN code_hash TEXT;
ALTER TABLE shares ADD COLUMN code_expires_at BIGINT;
ALTER TABLE shares ADD COLUMN code_failures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE shares ADD COLUMN code_wrong_total BIGINT NOT NULL DEFAULT 0;
ALTER TABLE shares ADD COLUMN code_sent_1 BIGINT;
ALTER TABLE shares ADD COLUMN code_sent_2 BIGINT;
ALTER TABLE shares ADD COLUMN code_sent_3 BIGINT;

CREATE TABLE share_passes (
    pass_hash TEXT PRIMARY KEY,
    share_id TEXT NOT NULL REFERENCES shares(id),
    token_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX share_passes_share ON share_passes (share_id);
