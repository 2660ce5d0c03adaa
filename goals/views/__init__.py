"""OKR pages, mounted under ``/<org_slug>/okrs/``."""
