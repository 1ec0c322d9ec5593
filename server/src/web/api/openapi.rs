//! The OpenAPI 3.1 description of `/api/v1`, kept next to the handlers it describes.

use axum::Json;
use serde_json::{json, Value};

pub async fn document() -> Json<Value> {
    Json(spec())
}

pub fn spec() -> Value {
    let error = json!({"$ref": "#/components/schemas/Error"});
    let err = |desc: &str| json!({"description": desc, "content": {"application/json": {"schema": error.clone()}}});
    let name_param = json!({"name": "name", "in": "path", "required": true, "schema": {"type": "string"}, "description": "The domain's A-label name, e.g. xn--bcher-kva.example"});
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Portcullis API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Hosted MTA-STS and TLS-RPT. Every token acts in one organisation with one role (owner, editor, viewer)."
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/domains": {
                "get": {
                    "summary": "List the organisation's domains",
                    "parameters": [
                        {"name": "q", "in": "query", "schema": {"type": "string"}, "description": "Substring of the name"},
                        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}}
                    ],
                    "responses": {
                        "200": {"description": "A page of domains", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DomainPage"}}}},
                        "401": err("Missing or unknown token")
                    }
                },
                "post": {
                    "summary": "Register a domain (editor or owner)",
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "example": "example.com"}}}}}},
                    "responses": {
                        "201": {"description": "Registered", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Domain"}}}},
                        "400": err("Malformed JSON"),
                        "401": err("Missing or unknown token"),
                        "403": err("The token's role does not allow this"),
                        "409": err("Already registered"),
                        "413": err("Body too large"),
                        "415": err("Not JSON"),
                        "422": err("Invalid domain name")
                    }
                }
            },
            "/domains/{name}": {
                "get": {
                    "summary": "One domain",
                    "parameters": [name_param.clone()],
                    "responses": {
                        "200": {"description": "The domain", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Domain"}}}},
                        "401": err("Missing or unknown token"),
                        "404": err("Not in this organisation")
                    }
                },
                "delete": {
                    "summary": "Delete a domain (editor or owner)",
                    "parameters": [name_param.clone()],
                    "responses": {
                        "204": {"description": "Deleted"},
                        "401": err("Missing or unknown token"),
                        "403": err("The token's role does not allow this"),
                        "404": err("Not in this organisation")
                    }
                }
            },
            "/domains/{name}/policy": {
                "get": {
                    "summary": "The served MTA-STS policy",
                    "parameters": [name_param.clone()],
                    "responses": {
                        "200": {"description": "The current policy", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Policy"}}}},
                        "401": err("Missing or unknown token"),
                        "404": err("Not in this organisation, or no policy yet")
                    }
                },
                "put": {
                    "summary": "Set the policy (editor or owner); a new version and id when the served text changes",
                    "parameters": [name_param.clone()],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PolicySpec"}}}},
                    "responses": {
                        "200": {"description": "The policy now served; `changed` says whether a new version was made", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Policy"}}}},
                        "400": err("Malformed JSON"),
                        "401": err("Missing or unknown token"),
                        "403": err("The token's role does not allow this"),
                        "404": err("Not in this organisation"),
                        "422": err("Invalid policy (the message names the field)")
                    }
                }
            },
            "/domains/{name}/policy/versions": {
                "get": {
                    "summary": "Every version, newest first",
                    "parameters": [name_param.clone()],
                    "responses": {
                        "200": {"description": "`{\"versions\": [{id, mode, max_age, text, author, note, created_at}]}`"},
                        "404": err("Not in this organisation")
                    }
                }
            },
            "/domains/{name}/policy/mx": {
                "get": {
                    "summary": "Live MX records and proposed mx patterns",
                    "parameters": [name_param],
                    "responses": {
                        "200": {"description": "`{answer, explanation, suggestion: {patterns, unusable}, current_coverage}`"},
                        "404": err("Not in this organisation"),
                        "503": err("DNS unavailable")
                    }
                }
            },
            "/domains/{name}/dns": {
                "get": {
                    "summary": "Records to publish and the latest DNS check",
                    "parameters": [name_param],
                    "responses": {
                        "200": {"description": "`{domain, records: [{name, type, value}], zone, status: ok|warning|error|never_checked, findings: [{code, severity, title, subject, seen, expected, fix}], checked_at, setup: delegated|manual|push, delegation: {available, records: [{name, type, value}], in_place}, id_publishing: {automatic}, push: null | {pushed_id, pushed_at, error}}`. With `setup` delegated, `records` are the three delegation CNAMEs; `id_publishing.automatic` is true when a new policy id needs nothing published by hand (delegation seen in place by the latest check, or push)"},
                        "404": err("Not in this organisation")
                    }
                }
            },
            "/domains/{name}/dns/check": {
                "post": {
                    "summary": "Check the domain's DNS, policy host and MX hosts now",
                    "parameters": [name_param],
                    "responses": {
                        "200": {"description": "Same shape as GET …/dns, with this run's findings"},
                        "404": err("Not in this organisation"),
                        "503": err("DNS unavailable")
                    }
                }
            },
            "/domains/{name}/dns/setup": {
                "put": {
                    "summary": "Choose how the domain's records reach DNS",
                    "parameters": [name_param.clone()],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["setup"], "properties": {"setup": {"type": "string", "enum": ["delegated", "manual", "push"]}}}}}},
                    "responses": {
                        "200": {"description": "Same shape as GET …/dns"},
                        "404": err("Not in this organisation"),
                        "422": err("Unknown setup; delegated without PORTCULLIS_DNS_ZONE; push without the organisation's push settings")
                    }
                }
            },
            "/domains/{name}/dns/push": {
                "post": {
                    "summary": "Push the current id to the organisation's DNS server now (RFC 2136, TSIG), then verify it with a DNS check",
                    "parameters": [name_param.clone()],
                    "responses": {
                        "200": {"description": "`{ok, policy_id, record: {name, type, value}, error (null when the server applied it), verified (null when not checked)}`; a failure also raises the dns_id_stale alert"},
                        "404": err("Not in this organisation"),
                        "422": err("The domain does not use push, or has no policy")
                    }
                }
            },
            "/dns-push": {
                "get": {
                    "summary": "The organisation's push settings (never the secret)",
                    "responses": {
                        "200": {"description": "`{provider: rfc2136|cloudflare, server, key_name, algorithm, updated_by, updated_at, domains}` (server, key_name and algorithm are empty for cloudflare)"},
                        "404": err("No push settings")
                    }
                },
                "put": {
                    "summary": "Set the organisation's push settings (owner tokens); the secret is stored sealed and never returned",
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["secret"], "properties": {
                        "provider": {"type": "string", "enum": ["rfc2136", "cloudflare"], "default": "rfc2136", "description": "RFC 2136 updates signed with TSIG to the primary server, or Cloudflare's API"},
                        "server": {"type": "string", "description": "rfc2136 (required): 192.0.2.53, 192.0.2.53:53, tcp://[2001:db8::53]:53"},
                        "key_name": {"type": "string", "description": "rfc2136 (required)"},
                        "algorithm": {"type": "string", "enum": ["hmac-sha256", "hmac-sha384", "hmac-sha512"], "description": "rfc2136 (required)"},
                        "secret": {"type": "string", "description": "rfc2136: the TSIG secret, base64, as in the key's BIND definition; cloudflare: the API token (permission Zone → DNS → Edit)"}
                    }}}}},
                    "responses": {
                        "200": {"description": "The settings as GET shows them"},
                        "403": err("Not an owner token"),
                        "422": err("A field is invalid (named in the error)"),
                        "503": err("The server has no PORTCULLIS_SECRET_KEY")
                    }
                },
                "delete": {
                    "summary": "Remove the push settings (owner tokens)",
                    "responses": {
                        "204": {"description": "Removed"},
                        "404": err("No push settings"),
                        "409": err("A domain still uses push")
                    }
                }
            },
            "/claims": {
                "get": {
                    "summary": "The organisation's open claims",
                    "responses": {"200": {"description": "`{claims: [{name, record: {name, type, value}, delegation: [{name, type, value}], created_by, created_at}]}`"}}
                },
                "post": {
                    "summary": "Claim a name another organisation registered but never proved",
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}}}},
                    "responses": {
                        "201": {"description": "The claim: publish `record` (or the `delegation` CNAMEs), then POST …/check"},
                        "409": err("The registration is proven: it cannot be claimed"),
                        "422": err("Not registered (add it instead), or already in this organisation")
                    }
                }
            },
            "/claims/{name}/check": {
                "post": {
                    "summary": "Look for the claim's proof in DNS; when found, the registration is released to this organisation",
                    "parameters": [name_param.clone()],
                    "responses": {
                        "200": {"description": "`{proven: true, proven_by}` or `{proven: false, findings}`"},
                        "404": err("No such claim"),
                        "409": err("The registration was proven meanwhile")
                    }
                }
            },
            "/claims/{name}": {
                "delete": {
                    "summary": "Withdraw the claim",
                    "parameters": [name_param.clone()],
                    "responses": {"204": {"description": "Withdrawn"}, "404": err("No such claim")}
                }
            },
            "/domains/{name}/tlsrpt/summary": {
                "get": {
                    "summary": "TLS-RPT session totals for a period, grouped",
                    "parameters": [
                        name_param,
                        {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}, "description": "First day (UTC), default 29 days before `to`"},
                        {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}, "description": "Last day (UTC, included), default today"},
                        {"name": "group_by", "in": "query", "schema": {"type": "string", "enum": ["result_type", "organization", "sending_ip", "receiving_mx", "day"]}},
                        {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"]}}
                    ],
                    "responses": {
                        "200": {"description": "`{domain, from, to, group_by, successful, failed, groups: [{key, successful (null for failure-detail groups), failed, reverse_dns? ({name, confirmed}, sending_ip only, where the address has a PTR name)}]}`, or CSV `key,successful,failed` (sending_ip adds `reverse_dns,reverse_dns_confirmed`)"},
                        "404": err("Not in this organisation"),
                        "422": err("Bad date, period or group")
                    }
                }
            },
            "/domains/{name}/senders": {
                "get": {
                    "summary": "The sender policy tracker: which policy each sending organisation applies, matched to the stored versions by content",
                    "parameters": [
                        name_param.clone(),
                        {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}, "description": "First day (UTC), default 89 days before `to`"},
                        {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}, "description": "Last day (UTC, included), default today"},
                        {"name": "days", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 400}, "description": "A period of this many days ending on `to`, instead of `from`"}
                    ],
                    "responses": {
                        "200": {"description": "`{domain, from, to, served: {policy_id, mode, created_at} | null, senders: [{organization, policy_id (null: matches no stored version), mode, since, sessions, last_report_at, adoption (current|older|unknown|not_reported_since), picked_up_within_seconds, runs: [{policy_id, mode, from, to, sessions, policy_string}]}]}`, most sessions first"},
                        "401": err("Missing or unknown token"),
                        "404": err("Not in this organisation"),
                        "422": err("Bad date, period or days")
                    }
                }
            },
            "/patterns": {
                "get": {
                    "summary": "Failure patterns across the organisation's domains: a sending organisation, sending IP, receiving MX or MX provider failing on three or more domains",
                    "parameters": [
                        {"name": "days", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 400}, "description": "The last N days, today included (default 30)"}
                    ],
                    "responses": {
                        "200": {"description": "`{from, to, days, patterns: [{kind (sending_organization|sending_ip|receiving_mx|mx_provider), key, failed, sender_side, domains: [{domain, failed}], result_types: [{result_type, failed}]}]}`, most domains first"},
                        "401": err("Missing or unknown token"),
                        "422": err("Bad days")
                    }
                }
            },
            "/share-links": {
                "get": {
                    "summary": "The organisation's read-only share links, newest first (owner tokens)",
                    "responses": {
                        "200": {"description": "`{share_links: [{id, domain (null: every domain), label, created_by, created_at, expires_at, revoked_at, live}]}`"},
                        "403": err("Not an owner token")
                    }
                },
                "post": {
                    "summary": "Create a read-only share link for one domain or the whole organisation (owner tokens); the token is returned once",
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {
                        "domain": {"type": ["string", "null"], "description": "Absent or null: every domain of the organisation"},
                        "label": {"type": "string", "maxLength": 100},
                        "days": {"type": "integer", "minimum": 1, "maximum": 366, "description": "Valid for this many days (default 30)"},
                        "expires_at": {"type": "string", "format": "date-time", "description": "Instead of days: a time in the next 366 days"}
                    }}}}},
                    "responses": {
                        "201": {"description": "The link with `token` and `path` (`/share/<token>` on the dashboard), shown once"},
                        "403": err("Not an owner token"),
                        "422": err("Unknown domain, bad expiry or label")
                    }
                }
            },
            "/share-links/{id}": {
                "delete": {
                    "summary": "Revoke a share link: it opens nothing from now on",
                    "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                    "responses": {"204": {"description": "Revoked"}, "403": err("Not an owner token"), "404": err("No live link with this id")}
                }
            },
            "/domains/{name}/readiness": {
                "get": {
                    "summary": "The readiness gate for enforce, item by item",
                    "parameters": [name_param.clone()],
                    "responses": {
                        "200": {"description": "The gate now", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}}},
                        "401": err("Missing or unknown token"),
                        "404": err("Not in this organisation")
                    }
                }
            },
            "/domains/{name}/transition": {
                "post": {
                    "summary": "Change the mode: testing, enforce (behind the readiness gate) or none (editor or owner; overriding the gate and removal: owner)",
                    "parameters": [name_param.clone()],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {
                        "type": "object",
                        "required": ["to"],
                        "properties": {
                            "to": {"type": "string", "enum": ["testing", "enforce", "none"]},
                            "confirm": {"type": "string", "description": "The domain name, typed to override a failed gate or to remove"},
                            "reason": {"type": "string", "description": "Required with an override; recorded"}
                        }
                    }}}},
                    "responses": {
                        "200": {"description": "Done: the transition, the `_mta-sts` record the new id needs, and a removal's end", "content": {"application/json": {"schema": {
                            "allOf": [{"$ref": "#/components/schemas/Transition"}],
                            "properties": {
                                "sts_record": {"$ref": "#/components/schemas/DnsRecord"},
                                "retire_at": {"type": ["string", "null"], "format": "date-time"}
                            }
                        }}}},
                        "400": err("Malformed JSON"),
                        "401": err("Missing or unknown token"),
                        "403": err("The token's role does not allow this"),
                        "404": err("Not in this organisation"),
                        "409": {"description": "`gate_failed`: the gate refused (the body also carries `ready` and `items` as in readiness); or the move makes no sense (already there, no policy yet, enforce straight from none)", "content": {"application/json": {"schema": error.clone()}}},
                        "413": err("Body too large"),
                        "415": err("Not JSON"),
                        "422": err("Wrong confirmation, missing override reason, or unknown mode")
                    }
                }
            },
            "/domains/{name}/history": {
                "get": {
                    "summary": "Every mode change, newest first",
                    "parameters": [name_param.clone()],
                    "responses": {
                        "200": {"description": "The transitions", "content": {"application/json": {"schema": {
                            "type": "object",
                            "properties": {"transitions": {"type": "array", "items": {"$ref": "#/components/schemas/Transition"}}}
                        }}}},
                        "401": err("Missing or unknown token"),
                        "404": err("Not in this organisation")
                    }
                }
            },
            "/domains/{name}/mx-plan": {
                "get": {
                    "summary": "The domain's open MX migration plan: its steps in safe order with their state and earliest safe moment, the planned policy, and the last 14 days of failures replayed against it",
                    "parameters": [name_param.clone()],
                    "responses": {
                        "200": {"description": "`{domain, plan: null | {id, kind (add|retire|switch), add, retire, created_by, created_at, complete, planned_policy, steps: [{code (list_new|publish_listed|change_mx|unlist_old|publish_unlisted), title, detail, state (done|ready|waiting|blocked), earliest, projected, done_at, warnings}], replay: {refused_sessions, delivered_despite_failure, by_day, by_sender, by_mx, by_reason, uncovered_live_mx}, replay_window: {from, to}, id_automatic}}`"},
                        "401": err("Missing or unknown token"),
                        "404": err("Not in this organisation")
                    }
                },
                "post": {
                    "summary": "Open an MX migration plan: hosts to add, to retire, or both (a provider switch); editor or owner",
                    "parameters": [name_param.clone()],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {
                        "type": "object",
                        "additionalProperties": false,
                        "properties": {
                            "add": {"type": "array", "items": {"type": "string"}, "maxItems": 10},
                            "retire": {"type": "array", "items": {"type": "string"}, "maxItems": 10}
                        }
                    }}}},
                    "responses": {
                        "201": {"description": "The plan, in the shape of `GET`'s `plan`"},
                        "401": err("Missing or unknown token"),
                        "403": err("The token's role does not allow this"),
                        "404": err("Not in this organisation"),
                        "409": err("Another plan is open, or the domain has no policy"),
                        "422": err("No host, an invalid host, a host both added and retired, a retired host the domain does not have, or no MX host left")
                    }
                },
                "delete": {
                    "summary": "Close the open plan: `completed` when every step is done, `cancelled` otherwise (editor or owner)",
                    "parameters": [name_param.clone()],
                    "responses": {
                        "200": {"description": "`{outcome}`"},
                        "401": err("Missing or unknown token"),
                        "403": err("The token's role does not allow this"),
                        "404": err("No open plan, or not in this organisation")
                    }
                }
            },
            "/domains/{name}/mx-drift/fix": {
                "post": {
                    "summary": "Add every live MX the latest DNS check saw and the enforced policy misses, as exact mx patterns (editor or owner); a new policy id",
                    "parameters": [name_param.clone()],
                    "responses": {
                        "200": {"description": "The hosts added, the new id and the record to publish", "content": {"application/json": {"schema": {
                            "type": "object",
                            "properties": {
                                "added": {"type": "array", "items": {"type": "string"}},
                                "policy_id": {"type": "string"},
                                "sts_record": {"$ref": "#/components/schemas/DnsRecord"}
                            }
                        }}}},
                        "401": err("Missing or unknown token"),
                        "403": err("The token's role does not allow this"),
                        "404": err("Not in this organisation"),
                        "409": err("No MX drift in the latest DNS check")
                    }
                }
            }
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
                        "code": {"type": "string", "example": "invalid"},
                        "message": {"type": "string"}
                    }}}
                },
                "PolicySpec": {
                    "type": "object",
                    "required": ["mode", "max_age"],
                    "properties": {
                        "mode": {"type": "string", "enum": ["testing", "enforce", "none"]},
                        "max_age": {"type": "integer", "minimum": 0, "maximum": 31557600},
                        "mx": {"type": "array", "items": {"type": "string"}, "example": ["mx1.example.com", "*.mx.example.com"]}
                    }
                },
                "Policy": {
                    "type": "object",
                    "required": ["domain", "id", "mode", "max_age", "mx", "text"],
                    "properties": {
                        "domain": {"type": "string"},
                        "id": {"type": "string", "description": "Policy id for the _mta-sts TXT record"},
                        "mode": {"type": "string", "enum": ["testing", "enforce", "none"]},
                        "max_age": {"type": "integer"},
                        "mx": {"type": "array", "items": {"type": "string"}},
                        "text": {"type": "string", "description": "The exact served text (CRLF line ends)"},
                        "warnings": {"type": "array", "items": {"type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}},
                        "updated_at": {"type": "string", "format": "date-time"},
                        "updated_by": {"type": "string"},
                        "changed": {"type": "boolean", "description": "PUT only"}
                    }
                },
                "Domain": {
                    "type": "object",
                    "required": ["name", "organization", "created_at"],
                    "properties": {
                        "name": {"type": "string"},
                        "unicode": {"type": ["string", "null"]},
                        "organization": {"type": "string", "description": "Organisation identifier (slug)"},
                        "mode": {"type": ["string", "null"], "enum": ["testing", "enforce", "none", null]},
                        "dns_status": {"type": "string", "enum": ["ok", "warning", "error", "never_checked"]},
                        "created_at": {"type": "string", "format": "date-time"},
                        "proof": {"$ref": "#/components/schemas/Proof"}
                    }
                },
                "Proof": {
                    "type": "object",
                    "description": "Proof of control: the domain's policy is served, its certificate ordered and its reports attributed only once proven.",
                    "required": ["proven", "dns_setup"],
                    "properties": {
                        "proven": {"type": "boolean"},
                        "proven_at": {"type": ["string", "null"], "format": "date-time"},
                        "proven_by": {"type": ["string", "null"], "description": "delegation, txt record, operator, or registered before proof of control"},
                        "record": {"description": "The TXT record that proves control", "oneOf": [{"$ref": "#/components/schemas/DnsRecord"}, {"type": "null"}]},
                        "dns_setup": {"type": "string", "enum": ["manual", "delegated", "push"]}
                    }
                },
                "DnsRecord": {
                    "type": "object",
                    "properties": {"name": {"type": "string"}, "type": {"type": "string"}, "value": {"type": "string"}}
                },
                "Transition": {
                    "type": "object",
                    "properties": {
                        "from": {"type": "string"},
                        "to": {"type": "string"},
                        "policy_id": {"type": "string"},
                        "actor": {"type": "string"},
                        "reason": {"type": "string", "description": "Empty where none was given"},
                        "overridden": {"type": "boolean", "description": "Enforce despite a failed gate"},
                        "at": {"type": "string", "format": "date-time"}
                    }
                },
                "Readiness": {
                    "type": "object",
                    "properties": {
                        "domain": {"type": "string"},
                        "ready": {"type": "boolean"},
                        "items": {"type": "array", "items": {"type": "object", "properties": {
                            "code": {"type": "string", "enum": ["dns-checked", "sts-record", "policy-fetch", "tlsrpt-record", "mx-covered", "mx-certificates", "testing-period", "reports", "failure-rate", "replay"]},
                            "title": {"type": "string"},
                            "ok": {"type": "boolean"},
                            "detail": {"type": "string"}
                        }}},
                        "mode": {"type": "string", "enum": ["unconfigured", "testing", "enforce", "none"]},
                        "policy_id": {"type": ["string", "null"]},
                        "window": {"type": "object", "description": "The testing window's reports (first and last day, UTC)", "properties": {
                            "from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"}, "reports": {"type": "integer"},
                            "organizations": {"type": "integer"}, "sources": {"type": "integer", "description": "Distinct sources: verified DKIM signing domains, else sender addresses"}, "authenticated_sources": {"type": "integer"}, "successful": {"type": "integer"}, "failed": {"type": "integer"}
                        }},
                        "replay": {"description": "The window's failures replayed against the policy enforce would serve"},
                        "mx_drift": {"type": "array", "items": {"type": "string"}, "description": "Live MX hosts the policy does not cover"},
                        "max_age": {"type": ["integer", "null"]},
                        "max_age_advice": {"type": ["string", "null"]}
                    }
                },
                "DomainPage": {
                    "type": "object",
                    "properties": {
                        "domains": {"type": "array", "items": {"$ref": "#/components/schemas/Domain"}},
                        "total": {"type": "integer"},
                        "page": {"type": "integer"},
                        "page_size": {"type": "integer"}
                    }
                }
            }
        }
    })
}
