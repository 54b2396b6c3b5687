"""The churn demo's /v1/probabilities as a Flask app, for bench/api/run.sh.

It does what the notebook does: read churn.db (from the working directory), prepare the
training rows the same way, fit the same logistic regression by batch gradient descent
(learning rate 0.1, 2000 epochs), and answer GET /v1/probabilities with the same JSON the
generated Go server gives. Run it under gunicorn with --preload so the model is fitted once.
"""
import math
import sqlite3

from flask import Flask, jsonify, request

PLAN_CODES = {"basic": 0.0, "standard": 1.0, "premium": 2.0}
FILL_SPEND = 50.0
LEARNING_RATE = 0.1
EPOCHS = 2000


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


def features(age, plan_code, spend, tenure, calls):
    return [(age - 40) / 15, plan_code - 1, (spend - 55) / 30, (tenure - 20) / 20, (calls - 1.2) / 1.2]


def train():
    db = sqlite3.connect("churn.db")
    rows = db.execute(
        "SELECT id, age, plan, monthly_spend, tenure_months, support_calls, churned FROM customers"
    ).fetchall()
    db.close()
    X, y = [], []
    for cid, age, plan, spend, tenure, calls, churned in rows:
        if cid % 5 == 0 or tenure < 0 or plan not in PLAN_CODES:
            continue
        X.append(features(age, PLAN_CODES[plan], FILL_SPEND if spend is None else spend, tenure, calls))
        y.append(float(churned))
    w, b, n = [0.0] * len(X[0]), 0.0, float(len(X))
    for _ in range(EPOCHS):
        grad, grad_b = [0.0] * len(w), 0.0
        for x, t in zip(X, y):
            z = b
            for j in range(len(w)):
                z += w[j] * x[j]
            diff = sigmoid(z) - t
            for j in range(len(w)):
                grad[j] += diff * x[j]
            grad_b += diff
        for j in range(len(w)):
            w[j] -= LEARNING_RATE * grad[j] / n
        b -= LEARNING_RATE * grad_b / n
    return w, b


WEIGHTS, BIAS = train()
app = Flask(__name__)


def error(code, msg):
    return jsonify({"error_message": msg, "result": code}), code


@app.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


@app.get("/v1/probabilities")
def probabilities():
    vals = {}
    for name in ("age", "monthly_spend", "tenure_months", "support_calls"):
        try:
            v = float(request.args[name])
        except (KeyError, ValueError):
            return error(400, "parameter %r must be a finite number" % name)
        if math.isnan(v) or math.isinf(v):
            return error(400, "parameter %r must be a finite number" % name)
        vals[name] = v
    plan = request.args.get("plan")
    if plan not in PLAN_CODES:
        return error(400, "parameter 'plan' must be one of basic, standard, premium")
    x = features(vals["age"], PLAN_CODES[plan], vals["monthly_spend"], vals["tenure_months"], vals["support_calls"])
    z = BIAS + sum(w * v for w, v in zip(WEIGHTS, x))
    return jsonify({"probabilities": sigmoid(z)})
