"""Tests of scripts/refiner/train.py (not part of `npm test`; needs Debian's python3-torch and python3-onnx).

    /usr/bin/python3 -m unittest discover -s test/refiner-py -v

They run the script's --tiny and --tiny-latent modes into temporary folders and check the files
against the formats the TypeScript refiner reads.
"""

import importlib.util
import json
import math
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np
import onnx
import torch

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "refiner" / "train.py"
spec = importlib.util.spec_from_file_location("refiner_train", SCRIPT)
train = importlib.util.module_from_spec(spec)
spec.loader.exec_module(train)

ELEM = {onnx.TensorProto.FLOAT: "float32", onnx.TensorProto.INT64: "int64"}


def signature(path):
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)

    def dims(v):
        return [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]

    return ({i.name: (ELEM[i.type.tensor_type.elem_type], dims(i)) for i in model.graph.input},
            {o.name: (ELEM[o.type.tensor_type.elem_type], dims(o)) for o in model.graph.output},
            model.opset_import[0].version)


def run(*args):
    proc = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=REPO)
    if proc.returncode != 0:
        raise AssertionError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


class TinyPixel(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.out = Path(cls.tmp.name) / "tiny"
        cls.summary = run("--tiny", "--out", str(cls.out), "--no-bench")
        cls.meta = json.loads((cls.out / "model.json").read_text())

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_files_and_size(self):
        self.assertLess((self.out / "model.onnx").stat().st_size, 200 * 1024)
        self.assertTrue((self.out / "MODEL_CARD.md").is_file())

    def test_signature(self):
        inputs, outputs, opset = signature(self.out / "model.onnx")
        self.assertEqual(list(inputs), ["sample", "timestep"])
        self.assertEqual(inputs["sample"], ("float32", ["batch", 3, "height", "width"]))
        self.assertEqual(inputs["timestep"], ("float32", ["batch"]))
        self.assertEqual(outputs, {"out_sample": ("float32", ["batch", 3, "height", "width"])})
        self.assertEqual(opset, 17)

    def test_sidecar(self):
        m = self.meta
        self.assertEqual(m["kind"], "pixel-unet")
        self.assertEqual(m["prediction"], "epsilon")
        self.assertEqual(m["input_range"], [-1, 1])
        self.assertEqual(m["schedule"]["num_train_timesteps"], 1000)
        self.assertEqual(m["timestep_dtype"], "float32")
        for key in ("resolution", "size_multiple", "receptive_field_px", "training"):
            self.assertIn(key, m)

    def test_schedule_check_values(self):
        s = self.meta["schedule"]
        kind = s["type"]
        betas = train.make_betas(kind, s["beta_start"], s["beta_end"])
        ac = np.cumprod(1 - betas)
        for t, v in s["alphas_cumprod_check"].items():
            self.assertAlmostEqual(ac[int(t)], v, places=6)
        # diffusers' cosine schedule, written out independently
        f = lambda u: math.cos((u + 0.008) / 1.008 * math.pi / 2) ** 2  # noqa: E731
        self.assertAlmostEqual(train.make_betas("squaredcos_cap_v2", None, None)[10], 1 - f(11 / 1000) / f(10 / 1000))

    def test_onnx_matches_torch(self):
        for case in self.summary["parity_max_abs_diff"].values():
            if case is not None:
                self.assertLess(case["out_sample"], 1e-4)


class Locality(unittest.TestCase):
    def test_output_depends_only_on_the_receptive_field(self):
        """No normalisation: an interior crop gives the same output as the full image (seamless tiles)."""
        torch.manual_seed(0)
        net = train.PixelUNet(channels=(8, 16, 32), unshuffle=2, temb=16).eval()
        for p in net.parameters():  # the zero-initialised convs would hide paths
            torch.nn.init.normal_(p, std=0.05)
        rf, _ = train.receptive_field(net)
        self.assertGreater(rf, 8)
        m = net.size_multiple
        margin = -(-(rf // 2 + 1) // m) * m          # >= half the receptive field, tile-aligned
        crop = 2 * margin + 64
        size = crop + 2 * margin
        x = torch.rand(1, 3, size, size) * 2 - 1
        t = torch.tensor([300.0])
        with torch.no_grad():
            full = net(x, t)
            tile = net(x[:, :, margin:margin + crop, margin:margin + crop], t)
        a = full[:, :, 2 * margin:2 * margin + 64, 2 * margin:2 * margin + 64]
        b = tile[:, :, margin:margin + 64, margin:margin + 64]
        self.assertLess(float((a - b).abs().max()), 1e-5)
        # ...and the border of the tile does differ (zero padding): the check can fail.
        self.assertGreater(float((full[:, :, margin:margin + 8, margin:margin + 8] - tile[:, :, :8, :8]).abs().max()), 1e-4)


class TinyLatent(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.out = Path(cls.tmp.name) / "tiny-latent"
        cls.summary = run("--tiny-latent", "--out", str(cls.out))
        cls.meta = json.loads((cls.out / "model.json").read_text())

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_layout_and_signatures(self):
        c = self.meta["encoder_hidden_states"][2]
        i, o, _ = signature(self.out / "vae_encoder" / "model.onnx")
        self.assertEqual(list(i), ["sample"])
        self.assertEqual(i["sample"][1][1], 3)
        self.assertEqual(list(o), ["latent_sample"])
        self.assertEqual(o["latent_sample"][1][1], 4)
        i, o, _ = signature(self.out / "unet" / "model.onnx")
        self.assertEqual(list(i), ["sample", "timestep", "encoder_hidden_states"])
        self.assertEqual(i["sample"], ("float32", ["batch", 4, "height", "width"]))
        self.assertEqual(i["timestep"], ("int64", ["batch"]))
        self.assertEqual(i["encoder_hidden_states"], ("float32", ["batch", "sequence", c]))
        self.assertEqual(list(o), ["out_sample"])
        i, o, _ = signature(self.out / "vae_decoder" / "model.onnx")
        self.assertEqual(list(i), ["latent_sample"])
        self.assertEqual(list(o), ["sample"])
        total = sum(p.stat().st_size for p in self.out.rglob("*.onnx"))
        self.assertLess(total, 200 * 1024)

    def test_embedding_file(self):
        data = (self.out / "text_embeddings.bin").read_bytes()
        self.assertEqual(data[:8], b"RSTENSOR")
        n = int.from_bytes(data[8:12], "little")
        header = json.loads(data[12:12 + n])
        self.assertEqual(header["data_offset"], 12 + n)
        self.assertEqual(header["data_offset"] % 64, 0)
        self.assertEqual(header["shape"], self.meta["encoder_hidden_states"])
        arr = np.frombuffer(data, dtype="<f4", offset=header["data_offset"])
        self.assertEqual(arr.size, int(np.prod(header["shape"])))
        self.assertTrue(np.all(np.isfinite(arr)))

    def test_sidecars(self):
        self.assertEqual(self.meta["kind"], "latent-sd")
        self.assertEqual(self.meta["vae_scaling_factor"], 0.5)
        sched = json.loads((self.out / "scheduler" / "scheduler_config.json").read_text())
        self.assertEqual(sched["beta_schedule"], self.meta["schedule"]["type"])
        vae = json.loads((self.out / "vae_decoder" / "config.json").read_text())
        self.assertEqual(vae["scaling_factor"], self.meta["vae_scaling_factor"])


if __name__ == "__main__":
    unittest.main()
