//! Reads Claude Code transcripts (JSONL) and sums token usage over unique API responses.
