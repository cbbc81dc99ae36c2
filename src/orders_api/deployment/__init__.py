"""What is deployed, as data. Read by the CDK app, the local twin and the cost model alike,
so that they cannot drift: change a figure here and all three follow."""
