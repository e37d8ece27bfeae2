"""What every pooling route does before and after the engine: inputs, limits, model name, legacy keys."""
