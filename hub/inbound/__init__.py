"""What vendors send the hub: Stripe's webhooks, verified and stored before anything else."""
