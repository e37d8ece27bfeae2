"""The command line: vLLM's pooling flags with vLLM's names and parsing rules, plus the release's legacy flags."""
