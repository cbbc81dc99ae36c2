"""What the Orders API costs a month on AWS, read from what is deployed and a dated price sheet.

`model.estimate` prices a `Workload` through a `Design` (the deployed REST API with WAF, or an
alternative) into line items; `scenarios` holds the product brief's examples; `render`,
`plot` and `report` show the results.
"""
