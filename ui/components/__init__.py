"""Parts shared by the pages: span tree, waterfall, messages, documents, span detail."""
