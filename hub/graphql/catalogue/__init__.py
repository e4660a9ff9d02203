"""The service and data catalogues in GraphQL: services, materials and forms, themes, life
events, 一件事 bundles, datasets and orgs."""
