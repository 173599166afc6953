"""Tests of structured data (storefront/seo)."""
