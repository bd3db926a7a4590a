-- The language a contact reads: the words the notifier writes around an alert (titles, reasons,
-- fact labels, the acknowledge line) go out in it. The alert's own message stays as the gateway sent it.
ALTER TABLE notify_contacts ADD COLUMN locale text NOT NULL DEFAULT 'en' CHECK (locale IN ('en', 'zh-CN'));
