"""What a generation needs: the request, its settings, the queue, samplers, models."""
