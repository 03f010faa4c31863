-- The document's title as the window showed it, so a refused change can say which document it
-- was on ("… on page 1 of “Knee X-ray” …") without asking the server.
ALTER TABLE mark_changes ADD COLUMN document_title TEXT;
