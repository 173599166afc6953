"""Behaviour logging: the tracker's beacon endpoint, the events log and its privacy rules."""
