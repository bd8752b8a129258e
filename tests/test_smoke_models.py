"""Golden figures of the reference implementation (pycls conventions)."""

import designspace as ds


def test_regnetx_200mf_golden():
    assert ds.complexity("regnetx_200mf", 224) == {"flops": 199_040_872, "params": 2_684_792, "acts": 2_164_056}


def test_resnet56_cifar_golden():
    assert ds.complexity("resnet56_cifar", 32) == {"flops": 125_747_850, "params": 855_770, "acts": 544_778}
