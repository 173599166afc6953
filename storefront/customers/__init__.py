"""Customers: one per phone (else email), linked across their orders, with their consent to offers."""
