#!/usr/bin/env bash
# Start an embedding server the 0.10 way.
vllm serve BAAI/bge-small-en-v1.5 \
    --task embed \
    --override-pooler-config '{"pooling_type": "MEAN", "normalize": true}'
