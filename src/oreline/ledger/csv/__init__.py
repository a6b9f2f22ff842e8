"""CSV import for producers without an EPCIS system."""
