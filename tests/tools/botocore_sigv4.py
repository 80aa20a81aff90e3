#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Signs a table of S3 requests with botocore, the independent oracle for src/artifacts/s3/sigv4.

Reads JSON on stdin:
  {"amz_date": "YYYYMMDDTHHMMSSZ", "region": ..., "access_key": ..., "secret_key": ...,
   "requests": [{"method", "host", "path" (decoded), "query": [[name, value], ...] (decoded),
                 "headers": [[name, value], ...], "body" (text, sent as UTF-8),
                 "unsigned": bool, "token": str ("" = none)}]}
Prints one line per signed value, "<row>\t<lowercase name>\t<value>": authorization,
x-amz-date, x-amz-content-sha256 and (with a token) x-amz-security-token. Exits non-zero if botocore is missing, so the C++ test fails rather
than skips.
"""
import datetime
import json
import sys
import types

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.utils import percent_encode

SIGNED_HEADERS = ("authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token")


def main():
    table = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    now = datetime.datetime.strptime(table["amz_date"], "%Y%m%dT%H%M%SZ")
    # botocore reads the clock inside add_auth (datetime.utcnow() in Debian 12's 1.29, a
    # get_current_datetime() helper in later releases); pin it so both signers use one timestamp.
    class FixedDatetime(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return now

    botocore.auth.datetime = types.SimpleNamespace(datetime=FixedDatetime)
    if hasattr(botocore.auth, "get_current_datetime"):
        botocore.auth.get_current_datetime = lambda: now
    for row, r in enumerate(table["requests"]):
        creds = Credentials(table["access_key"], table["secret_key"], r["token"] or None)
        # The S3 serializer encodes object keys this way (greedy label, '/' and '~' kept) and
        # S3SigV4Auth then signs the path as it is in the URL.
        url = "http://" + r["host"] + percent_encode(r["path"], safe="/~")
        request = AWSRequest(method=r["method"], url=url, headers=dict(),
                             data=r["body"].encode("utf-8"), params=[tuple(q) for q in r["query"]])
        for name, value in r["headers"]:
            request.headers[name] = value  # HTTPHeaders: a repeated name is kept twice
        if r["unsigned"]:
            request.context["client_config"] = types.SimpleNamespace(
                s3={"payload_signing_enabled": False})
        botocore.auth.S3SigV4Auth(creds, "s3", table["region"]).add_auth(request)
        for name in SIGNED_HEADERS:
            if name in request.headers:
                print(f"{row}\t{name}\t{request.headers[name]}")


if __name__ == "__main__":
    main()
