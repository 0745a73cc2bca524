"""The reference network and the two models it is compared with, all on the same WoE inputs."""

from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline

from .binning import WoEEncoder
from .config import SEED


def make_mlp():
    return MLPClassifier(
        hidden_layer_sizes=(64,),
        activation="relu",
        solver="adam",
        learning_rate_init=1e-3,
        batch_size=32,
        max_iter=10,
        alpha=0.0,
        random_state=SEED,
    )


def make_models(specs):
    return {
        "mlp": Pipeline([("woe", WoEEncoder(specs)), ("mlp", make_mlp())]),
        "lr_scorecard": Pipeline(
            [("woe", WoEEncoder(specs)), ("lr", LogisticRegression(max_iter=1000, random_state=SEED))]
        ),
        "gbm": Pipeline([("woe", WoEEncoder(specs)), ("gbm", GradientBoostingClassifier(random_state=SEED))]),
    }


MODEL_TITLES = {
    "mlp": "MLP 10-64-1 on WoE (reference)",
    "lr_scorecard": "Logistic-regression scorecard on WoE",
    "gbm": "Gradient boosting (100 trees, depth 3) on WoE",
}
