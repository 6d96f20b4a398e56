"""A newcomer's path through the README: every config and checkpoint its commands name
exists, each checkpoint loads strictly into the config named beside it, every published
detector carries its classes and alarm thresholds, and the commands run the detector of
their role (the line detector on the line)."""
import os.path as osp
import re

import pytest

from conftest import REPO

PATHS = re.compile(r'((?:configs|checkpoints)/[\w./+-]+\.(?:py|pth))')
ASSIGN = re.compile(r'^([A-Z_]+)=(\S+)')


def readme_commands():
    """The README's shell lines with ``$NAME`` replaced by the values the README assigns,
    and its Python blocks' lines as they are."""
    with open(osp.join(REPO, 'README.md')) as f:
        text = f.read()
    lines, names = [], {}
    for lang, block in re.findall(r'```(\w*)\n(.*?)```', text, re.S):
        for line in block.splitlines():
            for name, value in sorted(names.items(), key=lambda kv: -len(kv[0])):
                line = line.replace('$' + name, value)
            match = ASSIGN.match(line)
            if lang == 'bash' and match:
                names[match.group(1)] = match.group(2)
                continue
            lines.append(line)
    return lines, names


def pairs():
    """(config, checkpoint) named together on one README line or in one Python call."""
    lines, _ = readme_commands()
    found = set()
    for line in lines:
        paths = PATHS.findall(line)
        configs = [p for p in paths if p.endswith('.py')]
        ckpts = [p for p in paths if p.endswith('.pth')]
        if configs and ckpts:
            found.add((configs[0], ckpts[0]))
    return sorted(found)


def test_every_path_the_readme_commands_name_exists():
    lines, names = readme_commands()
    named = [p for line in lines for p in PATHS.findall(line)] + [
        v for v in names.values() if PATHS.fullmatch(v)]
    assert named, 'the README names no config or checkpoint'
    missing = sorted({p for p in named if not osp.isfile(osp.join(REPO, p))})
    assert not missing, f'README commands name files that do not exist: {missing}'


def test_commands_run_the_detector_of_their_role():
    from mmdet_shuffledefect.reporting import model_zoo as zoo
    models = zoo.load_models(osp.join(REPO, 'model-index.yml'))
    roles = {r: zoo.role_holder(models, r) for r in zoo.ROLES}
    lines, _ = readme_commands()
    config, weights = roles['line']['Config'], roles['line']['Weights']
    for tool in ('inspect_defects.py', 'inspection_station.py', 'export_onnx.py'):
        uses = [line for line in lines if tool in line]
        assert any(config in line and weights in line for line in uses), \
            f'no README {tool} command runs the published line detector'
        for line in uses:  # a plant's own model runs with the line detector's config too
            published = [p for p in PATHS.findall(line) if p.startswith('checkpoints/')]
            assert config in line and published in ([], [weights]), (tool, line)
    train = [line for line in lines if 'tools/train.py' in line and '--data-root' in line]
    assert train and all(any(roles[r]['Config'] in line for r in roles) for line in train)
    api = [line for line in lines if 'init_inspection_model(' in line or 'init_detector(' in line]
    assert api, 'the README shows no Python API call'
    assert any(roles['line']['Config'] in line for line in lines
               if "'configs/" in line), 'the Python example does not use the line detector'


@pytest.mark.parametrize('config,checkpoint', pairs())
def test_each_checkpoint_loads_strictly_into_the_config_beside_it(config, checkpoint):
    from mmdet_shuffledefect.apis import init_inspection_model
    model = init_inspection_model(osp.join(REPO, config), osp.join(REPO, checkpoint))
    assert model.inspection_score_thr, f'{checkpoint} carries no alarm thresholds'
    assert len(model.dataset_meta['classes']) == 6


def test_every_published_detector_carries_classes_and_thresholds():
    from mmdet_shuffledefect.reporting import model_zoo as zoo
    models = zoo.load_models(osp.join(REPO, 'model-index.yml'))
    detectors = [m for m in models if m['Results'][0]['Task'] == 'Object Detection']
    assert len(detectors) >= 3
    problems = [p for m in models for p in zoo.weights_problems(m, osp.join(REPO, m['Weights']))]
    assert not problems, problems


def test_readme_keeps_the_role_table_and_setup_commands_near_the_top():
    with open(osp.join(REPO, 'README.md')) as f:
        lines = f.read().splitlines()
    assert len(lines) <= 150, f'README has {len(lines)} lines'
    head = '\n'.join(lines[:60])
    assert 'make demo' in head and 'make test' in head
    from mmdet_shuffledefect.reporting.model_zoo import ROLE_START
    assert ROLE_START in head, 'the role table does not start in the first 60 lines'
