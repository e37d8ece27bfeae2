"""Scores query/document pairs and token-level rewards: each engine is used for one task only."""
import vllm


def build_reward_model(path):
    return vllm.LLM(
        model=path,
        task="reward",  # removed in vLLM 0.13
    )


def rewards(solutions):
    prm = build_reward_model("Qwen/Qwen2.5-Math-PRM-7B")
    return prm.reward(solutions, use_tqdm=False)


def classify(texts):
    clf = vllm.LLM('my-org/sentiment', pooler_config=vllm.config.PoolerConfig(logit_bias=0.5, softmax=False))
    return clf.classify(texts)
