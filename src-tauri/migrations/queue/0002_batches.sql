-- Files dropped together and reviewed as one are sent as one all-or-nothing batch: they share
-- a batch id and are claimed, sent, stored or refused together.
ALTER TABLE queue_items ADD COLUMN batch_id TEXT;
CREATE INDEX queue_items_batch ON queue_items (batch_id) WHERE batch_id IS NOT NULL;
