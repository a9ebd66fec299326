#!/bin/sh
# Apply the broker definitions (per-service users, the kiosk user, their permissions) to the local broker.
# DEV ONLY: the users get development passwords "<user>-dev". Regenerate the file with `opd broker-definitions`.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
rabbitmqctl import_definitions "$here/definitions.json"
rabbitmqctl list_permissions -p /
